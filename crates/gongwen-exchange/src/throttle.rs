//! Failed-login throttling: after too many failed logins for one username, or from
//! one client address, within a sliding window, further logins are refused with 429
//! *before* the password is checked — a locked account cannot be probed and no
//! argon2 time is spent on a guesser.
//!
//! Counting is by username as typed, whether or not the user exists, so a lockout
//! looks the same for known and unknown names. For the username, an attempt counts
//! as a failure from the moment it begins (taken back when it succeeds or ends in a
//! server error), so a guesser sending many attempts for one account in parallel
//! gets no more than the limit through. For the address, only finished failures
//! count: many honest users behind one address (an office NAT, a load test) logging
//! in at the same moment must not lock it; a sprayer there gets at most its requests
//! in flight past the limit.
//!
//! State is in memory, in this process: a restart forgets it. Memory is bounded: at
//! most [`MAX_TRACKED`] usernames and as many addresses are tracked, each with at
//! most its limit of timestamps; when full, entries whose failures have all left
//! the window go first, then the one whose last failure is oldest.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// Most usernames (and, separately, most client addresses) tracked at once.
pub const MAX_TRACKED: usize = 10_000;

/// The limits. A limit of 0 switches that count off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleSettings {
    /// Failed logins for one username within `window` before it is locked.
    pub max_failures_per_user: u32,
    /// Failed logins from one client address (IPv6: its /64) within `window`.
    pub max_failures_per_ip: u32,
    /// The sliding window failures are counted in.
    pub window: Duration,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        ThrottleSettings {
            max_failures_per_user: 5,
            max_failures_per_ip: 50,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// Which count refused a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockedBy {
    Username,
    ClientIp,
}

impl LockedBy {
    /// The name used in the audit detail, the log and the metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            LockedBy::Username => "username",
            LockedBy::ClientIp => "client_ip",
        }
    }
}

/// A login refused without checking the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    pub by: LockedBy,
    /// When a login may be tried again (at least one second).
    pub retry_after: Duration,
    /// The first refusal of this key in this lock: the one to audit. A flood of
    /// refused attempts writes one audit entry per key and lock, not one each.
    pub first_in_lock: bool,
}

impl Locked {
    /// `retry_after` in whole seconds, rounded up (for the `Retry-After` header).
    pub fn retry_after_secs(&self) -> u64 {
        let d = self.retry_after;
        (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
    }
}

type UserKey = [u8; 32];

/// The counters. Shared by every login request of one server.
pub struct LoginThrottle {
    settings: ThrottleSettings,
    state: Mutex<State>,
}

struct State {
    users: Tracker<UserKey>,
    ips: Tracker<IpAddr>,
}

impl LoginThrottle {
    pub fn new(settings: ThrottleSettings) -> LoginThrottle {
        LoginThrottle {
            settings,
            state: Mutex::new(State {
                users: Tracker::new(settings.max_failures_per_user, MAX_TRACKED),
                ips: Tracker::new(settings.max_failures_per_ip, MAX_TRACKED),
            }),
        }
    }

    pub fn settings(&self) -> ThrottleSettings {
        self.settings
    }

    /// Starts a login attempt: refused if either count is at its limit, else counted
    /// against the username until [`Attempt::succeeded`] (or a drop without
    /// [`Attempt::failed`]) takes it back. `ip` None (no peer address known): only
    /// the username is counted.
    pub fn begin(self: &Arc<Self>, username: &str, ip: Option<IpAddr>) -> Result<Attempt, Locked> {
        self.begin_at(username, ip, Instant::now())
    }

    fn begin_at(
        self: &Arc<Self>,
        username: &str,
        ip: Option<IpAddr>,
        now: Instant,
    ) -> Result<Attempt, Locked> {
        let user = user_key(username);
        let ip = ip.map(ip_key);
        let window = self.settings.window;
        let mut state = self.lock();
        let by_user = state
            .users
            .wait(&user, now, window)
            .map(|w| (LockedBy::Username, w));
        let by_ip = ip
            .and_then(|ip| state.ips.wait(&ip, now, window))
            .map(|w| (LockedBy::ClientIp, w));
        // Both may hold; the caller must wait for the later one.
        if let Some((by, retry_after)) = [by_user, by_ip].into_iter().flatten().max_by_key(|x| x.1)
        {
            let until = now + retry_after;
            let first_in_lock = match (by, ip) {
                (LockedBy::ClientIp, Some(ip)) => state.ips.first_report(&ip, now, until),
                _ => state.users.first_report(&user, now, until),
            };
            return Err(Locked {
                by,
                retry_after,
                first_in_lock,
            });
        }
        state.users.record(user, now, window);
        Ok(Attempt {
            throttle: Arc::clone(self),
            user,
            ip,
            at: now,
            settled: false,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is plain counters: still usable after a panic elsewhere.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Usernames and addresses tracked now (for tests of the memory bound).
    pub fn tracked(&self) -> (usize, usize) {
        let state = self.lock();
        (state.users.entries.len(), state.ips.entries.len())
    }
}

/// One login in progress, counted as a failure from [`LoginThrottle::begin`] on.
pub struct Attempt {
    throttle: Arc<LoginThrottle>,
    user: UserKey,
    ip: Option<IpAddr>,
    at: Instant,
    settled: bool,
}

impl Attempt {
    /// The login failed (wrong password, unknown or disabled user): the failure stays
    /// counted against the username, and is now counted against the address too.
    pub fn failed(mut self) {
        self.settled = true;
        if let Some(ip) = self.ip {
            let window = self.throttle.settings.window;
            self.throttle.lock().ips.record(ip, self.at, window);
        }
    }

    /// The password was right: the username's failures are forgotten.
    pub fn succeeded(mut self) {
        self.settled = true;
        self.throttle.lock().users.clear(&self.user);
    }
}

impl Drop for Attempt {
    /// Neither failed nor succeeded (a storage error, a dropped request): it proves
    /// nothing about the password, so it is not held against anyone.
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        self.throttle.lock().users.take_back(&self.user, self.at);
    }
}

/// Usernames are kept as their SHA-256: a fixed 32 bytes whatever the length sent,
/// and no list of typed names in memory.
fn user_key(username: &str) -> UserKey {
    Sha256::digest(username.as_bytes()).into()
}

/// IPv4-mapped IPv6 as IPv4; other IPv6 cut to its /64, which one subscriber
/// usually holds whole (counting single addresses would let them rotate freely).
fn ip_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        v4 => v4,
    }
}

/// Failure times per key, newest last, at most `limit` of them (older ones cannot
/// change the answer).
struct Tracker<K> {
    limit: u32,
    capacity: usize,
    entries: HashMap<K, VecDeque<Instant>>,
    /// For a locked key whose refusal was reported: when that lock ends. Only keys
    /// in `entries` are kept, so it is bounded the same way.
    reported: HashMap<K, Instant>,
}

impl<K: Hash + Eq + Copy> Tracker<K> {
    fn new(limit: u32, capacity: usize) -> Self {
        Tracker {
            limit,
            capacity,
            entries: HashMap::new(),
            reported: HashMap::new(),
        }
    }

    /// Whether a refusal of `key`, locked until `until`, is the first of that lock
    /// (and remembers that it has been reported).
    fn first_report(&mut self, key: &K, now: Instant, until: Instant) -> bool {
        match self.reported.get(key) {
            Some(end) if *end > now => false,
            _ => {
                self.reported.insert(*key, until);
                true
            }
        }
    }

    /// How long until `key` may try again; None if it may now.
    fn wait(&mut self, key: &K, now: Instant, window: Duration) -> Option<Duration> {
        if self.limit == 0 {
            return None;
        }
        let times = self.entries.get_mut(key)?;
        while times
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= window)
        {
            times.pop_front();
        }
        if times.is_empty() {
            self.entries.remove(key);
            self.reported.remove(key);
            return None;
        }
        if times.len() < self.limit as usize {
            return None;
        }
        // The oldest of the last `limit` failures leaves the window first.
        let oldest = times[times.len() - self.limit as usize];
        Some((oldest + window).saturating_duration_since(now))
    }

    fn record(&mut self, key: K, now: Instant, window: Duration) {
        if self.limit == 0 {
            return;
        }
        if !self.entries.contains_key(&key) && self.entries.len() >= self.capacity {
            self.make_room(now, window);
        }
        let times = self.entries.entry(key).or_default();
        // Kept in time order: attempts may finish (and be recorded) out of order.
        let at = times.iter().rposition(|t| *t <= now).map_or(0, |i| i + 1);
        times.insert(at, now);
        while times.len() > self.limit as usize {
            times.pop_front();
        }
    }

    /// Drops every entry whose failures have all left the window; if none did, the
    /// one whose last failure is oldest (a flood of new names pushes out stale
    /// entries first, and never grows the map past `capacity`).
    fn make_room(&mut self, now: Instant, window: Duration) {
        self.entries.retain(|_, times| {
            times
                .back()
                .is_some_and(|t| now.saturating_duration_since(*t) < window)
        });
        let entries = &self.entries;
        self.reported.retain(|k, _| entries.contains_key(k));
        if self.entries.len() < self.capacity {
            return;
        }
        let stalest = self
            .entries
            .iter()
            .min_by_key(|(_, times)| times.back().copied())
            .map(|(k, _)| *k);
        if let Some(k) = stalest {
            self.entries.remove(&k);
            self.reported.remove(&k);
        }
    }

    fn clear(&mut self, key: &K) {
        self.entries.remove(key);
        self.reported.remove(key);
    }

    /// Removes the failure recorded at `at` (if it is still there).
    fn take_back(&mut self, key: &K, at: Instant) {
        if let Some(times) = self.entries.get_mut(key) {
            if let Some(i) = times.iter().rposition(|t| *t == at) {
                times.remove(i);
            }
            if times.is_empty() {
                self.entries.remove(key);
                self.reported.remove(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 7)));

    fn throttle(user: u32, ip: u32, window_secs: u64) -> Arc<LoginThrottle> {
        Arc::new(LoginThrottle::new(ThrottleSettings {
            max_failures_per_user: user,
            max_failures_per_ip: ip,
            window: Duration::from_secs(window_secs),
        }))
    }

    fn fail(t: &Arc<LoginThrottle>, user: &str, ip: Option<IpAddr>, at: Instant) {
        t.begin_at(user, ip, at).expect("not locked yet").failed();
    }

    #[test]
    fn the_limit_locks_until_the_oldest_failure_leaves_the_window() {
        let t = throttle(3, 100, 60);
        let t0 = Instant::now();
        for i in 0..3 {
            fail(&t, "fgw-clerk", IP, t0 + Duration::from_secs(i * 10));
        }
        let locked = t
            .begin_at("fgw-clerk", IP, t0 + Duration::from_secs(25))
            .err()
            .expect("locked");
        assert_eq!(locked.by, LockedBy::Username);
        assert_eq!(locked.retry_after, Duration::from_secs(35));
        assert_eq!(locked.retry_after_secs(), 35);
        assert!(locked.first_in_lock);
        // Refused attempts do not extend the lock, and only the first of a lock is
        // reported; another name is not affected.
        let later = t
            .begin_at("fgw-clerk", IP, t0 + Duration::from_secs(59))
            .err()
            .expect("still locked");
        assert!(!later.first_in_lock);
        fail(&t, "tjj-clerk", IP, t0 + Duration::from_secs(30));
        // At 60 s the first failure has left the window: one more try is allowed,
        // and a failure then locks again (3 within the last minute).
        fail(&t, "fgw-clerk", IP, t0 + Duration::from_secs(60));
        let again = t
            .begin_at("fgw-clerk", IP, t0 + Duration::from_secs(61))
            .err()
            .expect("locked again");
        assert_eq!(again.retry_after, Duration::from_secs(9));
        assert!(again.first_in_lock, "a new lock is reported again");
    }

    #[test]
    fn success_clears_the_username_and_does_not_count_against_the_address() {
        let t = throttle(3, 3, 60);
        let t0 = Instant::now();
        fail(&t, "fgw-clerk", IP, t0);
        fail(&t, "fgw-clerk", IP, t0);
        t.begin_at("fgw-clerk", IP, t0).unwrap().succeeded();
        fail(&t, "fgw-clerk", IP, t0);
        // The username has 1 failure since the success; the address has 3 failures.
        let locked = t
            .begin_at("fgw-clerk", IP, t0)
            .err()
            .expect("address locked");
        assert_eq!(locked.by, LockedBy::ClientIp);
        // Another address may still log in as the same user.
        let other = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 8)));
        assert!(t.begin_at("fgw-clerk", other, t0).is_ok());
    }

    #[test]
    fn parallel_attempts_count_at_once_and_unsettled_ones_are_taken_back() {
        let t = throttle(2, 100, 60);
        let t0 = Instant::now();
        let a = t.begin_at("x", IP, t0).unwrap();
        let b = t.begin_at("x", IP, t0 + Duration::from_millis(1)).unwrap();
        // Two in flight: a third must wait, even though none has failed yet.
        assert!(t.begin_at("x", IP, t0 + Duration::from_millis(2)).is_err());
        drop(a); // e.g. a storage error: not a failure
        b.failed();
        assert!(t.begin_at("x", IP, t0 + Duration::from_millis(3)).is_ok());
    }

    #[test]
    fn many_logins_in_flight_from_one_address_do_not_lock_it() {
        let t = throttle(5, 3, 60);
        let t0 = Instant::now();
        let attempts: Vec<_> = (0..100)
            .map(|i| {
                t.begin_at(&format!("user-{i}"), IP, t0)
                    .expect("not locked")
            })
            .collect();
        for a in attempts {
            a.succeeded();
        }
        assert!(t.begin_at("user-100", IP, t0).is_ok());
        assert_eq!(t.tracked(), (0, 0));
    }

    #[test]
    fn zero_switches_a_limit_off() {
        let t = throttle(0, 2, 60);
        let t0 = Instant::now();
        fail(&t, "a", None, t0);
        fail(&t, "a", None, t0);
        fail(&t, "a", None, t0);
        assert_eq!(t.tracked(), (0, 0));
        fail(&t, "a", IP, t0);
        fail(&t, "b", IP, t0);
        assert_eq!(
            t.begin_at("c", IP, t0).err().map(|l| l.by),
            Some(LockedBy::ClientIp)
        );
    }

    #[test]
    fn a_flood_of_names_stays_within_the_bound() {
        let t = throttle(5, 0, 60);
        let t0 = Instant::now();
        fail(&t, "fgw-clerk", None, t0);
        for i in 0..(MAX_TRACKED + 500) {
            fail(
                &t,
                &format!("guess-{i}"),
                None,
                t0 + Duration::from_millis(1),
            );
        }
        assert_eq!(t.tracked().0, MAX_TRACKED);
        // The stalest entry went first.
        let state = t.lock();
        assert!(!state.users.entries.contains_key(&user_key("fgw-clerk")));
        drop(state);
        // Once the window has passed, stale entries are dropped wholesale.
        fail(&t, "late", None, t0 + Duration::from_secs(61));
        assert_eq!(t.tracked().0, 1);
    }

    #[test]
    fn ipv6_is_counted_per_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ip_key(a), ip_key(b));
        assert_ne!(ip_key(a), ip_key(c));
        let mapped: IpAddr = "::ffff:10.0.0.7".parse().unwrap();
        assert_eq!(ip_key(mapped), IP.unwrap());
    }
}
