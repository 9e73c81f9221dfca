import { describe, expect, it } from 'vitest'
import { createSSRApp, defineComponent, h } from 'vue'
import { renderToString } from 'vue/server-renderer'
import { NForm, NInput } from 'naive-ui'
import type { Problem } from '../api'
import type { FieldKey } from '../editing'
import { provideFieldValidation, type FieldValidation } from '../composables/useValidation'
import FormField from './FormField.vue'

const wrong: Problem = {
  element: 'doc_number',
  severity: 'error',
  message: '发文字号的年份应使用六角括号〔〕',
  message_en: '',
  suggestion: '宿政〔2026〕12号',
}

/** The HTML of one FormField (server-rendered: the same elements as in the window) in a form whose validation found `problems` for 发文字号. */
async function render(props: { label: string; field?: FieldKey; width?: 'narrow' | 'narrow-wide' }, problems: Problem[] = []) {
  const validation: FieldValidation = {
    problemsOf: (key) => (key === 'doc_number' ? problems : []),
    statusOf: (key) => (key === 'doc_number' && problems.length ? 'error' : undefined),
    canFix: (key) => key === 'doc_number',
    fix: () => undefined,
  }
  const Root = defineComponent({
    setup() {
      provideFieldValidation(validation)
      return () =>
        h(NForm, null, () =>
          h(FormField, props, {
            default: ({ fieldLabel }: { fieldLabel: string }) => h(NInput, { inputProps: { 'aria-label': fieldLabel } }),
          }),
        )
    },
  })
  // Without server rendering's fragment markers (<!--[-->), which the window's DOM lacks.
  return (await renderToString(createSSRApp(Root))).replace(/<!--[^>]*-->/g, '')
}

describe('FormField', () => {
  it('shows the label once given, and gives it to the control', async () => {
    const html = await render({ label: '发文字号', field: 'doc_number' })
    expect(html).toMatch(/<label class="n-form-item-label[^"]*"[^>]*><span class="n-form-item-label__text">发文字号<\/span>/)
    expect(html).toContain('aria-label="发文字号"')
    expect(html).toContain('class="field"')
    expect(html).not.toContain('的问题')
  })

  it("lists the field's problems under the control, named after the label, with the fix", async () => {
    const html = await render({ label: '发文字号', field: 'doc_number' }, [wrong])
    const input = html.indexOf('aria-label="发文字号"')
    const list = html.indexOf('aria-label="发文字号的问题"')
    expect(input).toBeGreaterThan(0)
    expect(list).toBeGreaterThan(input)
    expect(html).toContain('role="status"')
    expect(html).toContain(wrong.message)
    expect(html).toMatch(/改为 宿政〔2026〕12号/)
    expect(html).toContain('n-form-item-blank--error')
  })

  it('without a field or a width, holds the control alone', async () => {
    const html = await render({ label: '保密期限' })
    expect(html).toContain('aria-label="保密期限"')
    expect(html).not.toContain('class="field')
  })

  it('a width without a field: a narrower column, no problems', async () => {
    const html = await render({ label: '红头模板', width: 'narrow-wide' }, [wrong])
    expect(html).toContain('class="field narrow-wide"')
    expect(html).not.toContain('的问题')
  })
})
