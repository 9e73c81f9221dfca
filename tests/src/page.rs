//! Finding and acting on what the window shows, by visible Chinese labels (XPath), with
//! waits that tolerate a loaded machine: a step fails only after [`WAIT`].

use std::fs;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};

use crate::app::{output_dir, screenshot, WAIT};

pub async fn find(c: &Client, xpath: &str) -> Element {
    match c
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(xpath))
        .await
    {
        Ok(element) => element,
        Err(e) => {
            // What the window showed instead, for the person reading the failure.
            if let Ok(png) = screenshot(c).await {
                let _ = fs::write(output_dir().join("not-found.png"), png);
            }
            panic!("nothing on screen matches {xpath}: {e} (screen: tests/output/not-found.png)")
        }
    }
}

/// Waits until nothing matches (an error message went away).
pub async fn wait_gone(c: &Client, xpath: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        // WebKitWebDriver may answer "stale element" while the page re-renders the very
        // nodes asked about: that is "not settled yet", so ask again.
        let found = c.find_all(Locator::XPath(xpath)).await;
        if found.as_ref().is_ok_and(|f| f.is_empty()) {
            return;
        }
        if Instant::now() >= deadline {
            if let Ok(png) = screenshot(c).await {
                let _ = fs::write(output_dir().join("still-there.png"), png);
            }
            // An error message on screen is usually why: name it in the failure.
            let alerts = texts_shown(c, "//*[@role='alert']").await;
            let error = found.err().map(|e| format!("; last query failed: {e}"));
            panic!(
                "still on screen after {WAIT:?}: {xpath}{}; alerts shown: {alerts:?} \
                 (screen: tests/output/still-there.png)",
                error.unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the element's text contains `expected` (validation answers after a
/// debounce); on timeout, fails showing the text it last had.
pub async fn wait_text_containing(c: &Client, xpath: &str, expected: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let text = text_of(c, xpath).await;
        if text.contains(expected) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{xpath} should mention {expected:?} but shows {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn type_into(c: &Client, xpath: &str, text: &str) {
    let field = find(c, xpath).await;
    field
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("cannot type into {xpath}: {e}"));
}

pub async fn value_of(c: &Client, xpath: &str) -> String {
    find(c, xpath)
        .await
        .prop("value")
        .await
        .expect("read value")
        .unwrap_or_default()
}

/// The texts of whatever matches `xpath` now, for a failure message (best effort: a
/// query or read that fails gives nothing, so the failure being reported stays in front).
pub async fn texts_shown(c: &Client, xpath: &str) -> Vec<String> {
    let mut texts = Vec::new();
    for element in c.find_all(Locator::XPath(xpath)).await.unwrap_or_default() {
        texts.push(element.text().await.unwrap_or_default());
    }
    texts
}

pub async fn text_of(c: &Client, xpath: &str) -> String {
    // Parts that follow the sync loop (the status bar) are re-rendered as its state
    // changes: an element found a moment ago may be replaced before it is read.
    let deadline = Instant::now() + WAIT;
    loop {
        match find(c, xpath).await.text().await {
            Ok(text) => return text,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("cannot read the text of {xpath}: {e}"),
        }
    }
}

/// Clicks the element as soon as it takes the click, and makes sure the page received it
/// there. While a drawer or dialog is still fading out its mask intercepts clicks (a user
/// simply clicks again a moment later), so a refused click is retried until the deadline.
/// Under load a click WebDriver reports as done can also land beside its target: the
/// pointer goes where the element was when WebDriver measured it, and a popup that is
/// placed a frame later (a menu, the date panel, a confirmation) has moved. The page
/// therefore records which element each press and click reached; one that missed is made
/// again, as a clerk whose click went astray clicks again.
pub async fn click(c: &Client, xpath: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        match click_once(c, xpath, Needs::Click).await {
            Ok(Reached::Yes) => return,
            Ok(Reached::No(seen)) if Instant::now() < deadline => {
                // Printed only when the test fails.
                println!("click on {xpath} did not reach it (the page saw: {seen}); again");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) if Instant::now() < deadline => {
                println!("click on {xpath} refused ({e}), retrying");
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            Ok(Reached::No(seen)) => {
                fail_click(
                    c,
                    xpath,
                    &format!("the page never received it; it saw {seen}"),
                )
                .await
            }
            Err(e) => fail_click(c, xpath, &e).await,
        }
    }
}

/// Opens a popup with `opener` (a select, a date button, a confirmation's trigger) and
/// clicks `item` in it. A click that misses the item closes the popup, so the popup is
/// opened again before the next try.
pub async fn click_in_popup(c: &Client, opener: &str, item: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        // A popup once opened may stay in the page, hidden, until it opens again.
        let mut shown = false;
        for found in c.find_all(Locator::XPath(item)).await.unwrap_or_default() {
            shown |= found.is_displayed().await.unwrap_or(false);
        }
        if !shown {
            click(c, opener).await;
        }
        // An option may act on the press and close its menu before the click comes;
        // `choose` checks the outcome instead.
        match click_once(c, item, Needs::Press).await {
            Ok(Reached::Yes) => return,
            Ok(Reached::No(seen)) if Instant::now() < deadline => {
                println!("click on {item} did not reach it (the page saw: {seen}); again");
            }
            Err(e) if Instant::now() < deadline => {
                println!("click on {item} refused ({e}), retrying");
            }
            Ok(Reached::No(seen)) => {
                fail_click(
                    c,
                    item,
                    &format!("the page never received it; it saw {seen}"),
                )
                .await
            }
            Err(e) => fail_click(c, item, &e).await,
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Which event must reach the element for a click to count.
#[derive(Clone, Copy)]
enum Needs {
    /// The `click` itself: a button acts on it, and a press whose release lands elsewhere
    /// (the element moved under the pointer) does nothing.
    Click,
    /// Any of press or click.
    Press,
}

enum Reached {
    Yes,
    /// What the page received instead (event, element and class), for the failure.
    No(String),
}

/// One click on what `xpath` finds (waiting for it to appear), scrolled to the middle of
/// the view first; whether the page received it on that element; `Err` when WebDriver
/// refused the click.
async fn click_once(c: &Client, xpath: &str, needs: Needs) -> Result<Reached, String> {
    let element = find(c, xpath).await;
    // WebDriver scrolls a target only to the edge of the view, where the editor's sticky
    // toolbar covers it; a user scrolls it into the middle first. The recorder is
    // installed once per page; a press or click counts when its target is inside any
    // element the XPath finds at that moment (Vue may have re-rendered the one found).
    let arg = serde_json::to_value(&element).map_err(|e| e.to_string())?;
    c.execute(
        "const [el, xpath] = arguments;
         if (!window.__e2eClicks) {
           window.__e2eClicks = { xpath: null, reached: false, seen: [] };
           for (const type of ['pointerdown', 'mousedown', 'click']) {
             document.addEventListener(type, (e) => {
               const r = window.__e2eClicks;
               if (!r.xpath) return;
               const found = document.evaluate(r.xpath, document, null,
                 XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
               for (let i = 0; i < found.snapshotLength; i++) {
                 if (found.snapshotItem(i).contains(e.target)) {
                   r.pressed = true;
                   if (type === 'click') r.reached = true;
                 }
               }
               if (r.seen.length < 6) {
                 r.seen.push(type + ' ' + e.target.nodeName + '.' +
                   (e.target.getAttribute ? e.target.getAttribute('class') : ''));
               }
             }, true);
           }
         }
         Object.assign(window.__e2eClicks, { xpath, reached: false, pressed: false, seen: [] });
         el.scrollIntoView({ block: 'center', inline: 'nearest' });",
        vec![arg.clone(), serde_json::Value::from(xpath)],
    )
    .await
    .map_err(|e| format!("cannot watch the click: {e}"))?;
    settle(c, arg).await?;
    // WebDriver's error kind (Debug); its message is often empty.
    element.click().await.map_err(|e| format!("{e:?}"))?;
    let record = c
        .execute(
            "const r = window.__e2eClicks; r.xpath = null; return r;",
            vec![],
        )
        .await
        .map_err(|e| format!("cannot read what the page received: {e}"))?;
    let counted = match needs {
        Needs::Click => record["reached"] == true,
        Needs::Press => record["reached"] == true || record["pressed"] == true,
    };
    if counted {
        Ok(Reached::Yes)
    } else {
        Ok(Reached::No(record["seen"].to_string()))
    }
}

/// Waits (at most a second) until the element stands still and is on top at its centre,
/// as a user waits for a dialog to finish opening: a modal that is still scaling in moves
/// its buttons between the press and the release, so the click lands on the card behind.
async fn settle(c: &Client, element: serde_json::Value) -> Result<(), String> {
    c.execute_async(
        "const [el, done] = arguments;
         const started = performance.now();
         let last = null, still = 0;
         const tick = () => {
           const r = el.getBoundingClientRect();
           const key = [r.x, r.y, r.width, r.height].join();
           const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
           still = key === last && top !== null && el.contains(top) ? still + 1 : 0;
           last = key;
           if (still >= 3 || performance.now() - started > 1000) done(still >= 3);
           else requestAnimationFrame(tick);
         };
         requestAnimationFrame(tick);",
        vec![element],
    )
    .await
    .map(|_| ())
    .map_err(|e| format!("cannot wait for the element to settle: {e}"))
}

async fn fail_click(c: &Client, xpath: &str, why: &str) -> ! {
    if let Ok(png) = screenshot(c).await {
        let _ = fs::write(output_dir().join("not-clickable.png"), png);
    }
    panic!("cannot click {xpath}: {why} (screen: tests/output/not-clickable.png)")
}

pub fn button(label: &str) -> String {
    format!("//button[normalize-space(.)='{label}' or @aria-label='{label}']")
}

/// Chooses `option` in the select labelled `select`, and waits until the select shows it,
/// as a clerk glances at the field: a press can reach an option whose click then never
/// comes (the menu re-rendered under the pointer), which leaves the old value.
pub async fn choose(c: &Client, select: &str, option: &str) {
    let field = format!("//*[@aria-label='{select}']");
    let deadline = Instant::now() + WAIT;
    loop {
        // Mid-page, so the editor's sticky toolbar cannot cover it.
        let found = find(c, &field).await;
        c.execute(
            "arguments[0].scrollIntoView({block: 'center'});",
            vec![serde_json::to_value(&found).expect("element as JSON")],
        )
        .await
        .expect("scroll the field into view");
        click_in_popup(
            c,
            &field,
            &format!("//*[@role='option' and @aria-label='{option}']"),
        )
        .await;
        let settle = Instant::now() + Duration::from_secs(3);
        while Instant::now() < settle {
            if shown_in(c, &field).await.contains(option) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let shown = shown_in(c, &field).await;
        assert!(
            Instant::now() < deadline,
            "{select} shows {shown:?} after choosing {option}"
        );
        println!("{select} still shows {shown:?} after choosing {option}; again");
    }
}

/// The text a select shows (WebKitWebDriver reports Naive UI's select as empty text).
pub async fn shown_in(c: &Client, xpath: &str) -> String {
    let field = find(c, xpath).await;
    c.execute(
        "return arguments[0].textContent;",
        vec![serde_json::to_value(&field).expect("element as JSON")],
    )
    .await
    .expect("read the select")
    .as_str()
    .unwrap_or_default()
    .to_string()
}

/// Waits until a dialog has finished growing into place (Naive UI scales it in), so a
/// click lands where the element is drawn, not where it was a frame ago.
pub async fn wait_still(c: &Client, xpath: &str) {
    let deadline = Instant::now() + WAIT;
    let mut last = None;
    loop {
        let rect = find(c, xpath).await.rectangle().await.ok();
        if rect.is_some() && rect == last {
            return;
        }
        assert!(Instant::now() < deadline, "{xpath} kept moving");
        last = rect;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

pub async fn wait_status(c: &Client, label: &str, expected: &str) -> String {
    wait_text_containing(c, &format!("//*[@aria-label='{label}']"), expected).await
}

/// Keys as the user presses them, wherever the focus is.
pub async fn press(c: &Client, keys: &str) {
    c.active_element()
        .await
        .expect("the focused element")
        .send_keys(keys)
        .await
        .expect("press keys");
}

/// Whether nothing matches `xpath` now (what must not be offered is not there).
pub async fn none_shown(c: &Client, xpath: &str) -> bool {
    c.find_all(Locator::XPath(xpath))
        .await
        .expect("look for elements")
        .is_empty()
}
