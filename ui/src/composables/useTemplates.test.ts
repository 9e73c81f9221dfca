import { describe, expect, it } from 'vitest'
import type { TemplateChoice } from '../api'
import type { Form } from '../editing'
import { applyTemplate, templateOptions } from './useTemplates'

const templates: TemplateChoice[] = [
  { name: 'szs', label: '宿州市人民政府', issuer_mark: ['宿州市人民政府文件'], own: false },
  { name: 'joint', label: '联合行文', issuer_mark: ['宿州市人民政府', '宿州市财政局'], own: false },
]

describe('templateOptions', () => {
  it('offers no template first, then each template by its label', () => {
    expect(templateOptions(templates)).toEqual([
      { value: '', label: '不用模板（按发文机关标志排版）' },
      { value: 'szs', label: '宿州市人民政府' },
      { value: 'joint', label: '联合行文' },
    ])
  })

  it("offers the unit's own templates, and the draft's own choice", () => {
    const fgw: TemplateChoice[] = [
      { name: 'fgw', label: '宿州市发展和改革委员会', issuer_mark: ['宿州市发展和改革委员会文件'], own: true },
      ...templates,
    ]
    expect(templateOptions(fgw).map((o) => o.value)).toEqual(['', 'fgw'])
    expect(templateOptions(fgw, 'joint').map((o) => o.value)).toEqual(['', 'fgw', 'joint'])
  })
})

describe('applyTemplate', () => {
  const form = () => ({ template: '', issuer_mark: '宿州市发展和改革委员会文件' }) as Form

  it("writes the template's 发文机关标志 lines", () => {
    const f = form()
    applyTemplate(f, templates, 'joint')
    expect(f.template).toBe('joint')
    expect(f.issuer_mark).toBe('宿州市人民政府\n宿州市财政局')
  })

  it('keeps the typed lines when no template is chosen', () => {
    const f = form()
    applyTemplate(f, templates, 'szs')
    applyTemplate(f, templates, '')
    expect(f.template).toBe('')
    expect(f.issuer_mark).toBe('宿州市人民政府文件')
  })
})
