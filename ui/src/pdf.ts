/**
 * Showing and printing the PDF that gongwen-typeset made, with pdf.js.
 *
 * pdf.js (~1 MB with its worker) is imported on first use, so the list and editor start
 * without it. Its worker is bundled by Vite (`?url`) and served from the app itself:
 * there is no network to fetch it from.
 */
import type { PDFDocumentProxy, PDFWorker } from 'pdfjs-dist'
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url'

type PdfJs = typeof import('pdfjs-dist')

let loading: Promise<{ pdfjs: PdfJs; worker: PDFWorker }> | null = null

/** pdf.js and one worker kept for the whole run (a worker per document costs ~50 ms). */
function pdfjs() {
  loading ??= import('pdfjs-dist').then((pdfjs) => {
    pdfjs.GlobalWorkerOptions.workerSrc = workerUrl
    return { pdfjs, worker: new pdfjs.PDFWorker() }
  })
  return loading
}

export async function openPdf(data: Uint8Array): Promise<PDFDocumentProxy> {
  const { pdfjs: lib, worker } = await pdfjs()
  // The CSP forbids eval; the fonts are embedded, so no CMap or standard font is fetched.
  return lib.getDocument({ data, worker, isEvalSupported: false }).promise
}

/** Points per inch: PDF user space. */
const PT_PER_INCH = 72

/**
 * Draws one page into a new canvas `cssWidth` CSS pixels wide, sharp on this screen
 * (or at `dpi` dots per inch of paper when printing).
 */
export async function drawPage(
  pdf: PDFDocumentProxy,
  pageNumber: number,
  size: { cssWidth: number } | { dpi: number },
): Promise<HTMLCanvasElement> {
  const page = await pdf.getPage(pageNumber)
  const unscaled = page.getViewport({ scale: 1 })
  const pixelsPerPt =
    'dpi' in size ? size.dpi / PT_PER_INCH : (size.cssWidth / unscaled.width) * (window.devicePixelRatio || 1)
  const viewport = page.getViewport({ scale: pixelsPerPt })
  const canvas = document.createElement('canvas')
  canvas.width = Math.floor(viewport.width)
  canvas.height = Math.floor(viewport.height)
  await page.render({ canvas, viewport }).promise
  page.cleanup()
  return canvas
}

/** Print resolution: above 200 dpi the 3号 仿宋 strokes are as crisp as laser output needs. */
export const PRINT_DPI = 240

/**
 * 打印: the pages of `data`, each drawn at PRINT_DPI as one A4 sheet, sent to the system
 * print dialog. The sheets live in #print-pages only while printing (see style.css).
 */
export async function printPdf(data: Uint8Array): Promise<void> {
  const pdf = await openPdf(data)
  document.getElementById('print-pages')?.remove()
  const holder = document.createElement('div')
  holder.id = 'print-pages'
  const urls: string[] = []
  const cleanup = () => {
    holder.remove()
    for (const url of urls) URL.revokeObjectURL(url)
  }
  try {
    for (let n = 1; n <= pdf.numPages; n++) {
      const canvas = await drawPage(pdf, n, { dpi: PRINT_DPI })
      const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'))
      if (!blob) throw new Error(`第${n}页无法生成打印图像`)
      const url = URL.createObjectURL(blob)
      urls.push(url)
      const img = new Image()
      img.src = url
      img.alt = `第${n}页`
      await img.decode()
      const sheet = document.createElement('div')
      sheet.className = 'sheet'
      sheet.append(img)
      holder.append(sheet)
    }
  } catch (e) {
    cleanup()
    throw e
  } finally {
    void pdf.destroy()
  }
  document.body.append(holder)
  // The sheets stay until the print dialog is done with them; a later print replaces them.
  window.addEventListener('afterprint', cleanup, { once: true })
  window.print()
}
