/**
 * 红头模板: the unit's header templates. Choosing one writes its 发文机关标志 lines into the
 * form; the preview then sets them the template's way.
 */
import { computed, ref, type Ref } from 'vue'
import { useMessage } from 'naive-ui'
import { api, errorText, type TemplateChoice } from '../api'
import type { Form } from '../editing'

/** The choices of the 红头模板 select: none first, then the logged-in unit's own templates
 *  (`own`, decided in Rust by `issuer::owns_template`), and the one the draft uses if it
 *  is another's. With no own template (nobody logged in, a unit without one) all are offered. */
export function templateOptions(templates: TemplateChoice[], current = ''): Array<{ value: string; label: string }> {
  const anyOwn = templates.some((t) => t.own)
  const shown = templates.filter((t) => !anyOwn || t.own || t.name === current)
  return [{ value: '', label: '不用模板（按发文机关标志排版）' }, ...shown.map((t) => ({ value: t.name, label: t.label }))]
}

/** Puts the template named `name` into the form ('' is no template: the lines stay). */
export function applyTemplate(f: Form, templates: TemplateChoice[], name: string): void {
  f.template = name
  const chosen = templates.find((t) => t.name === name)
  if (chosen) f.issuer_mark = chosen.issuer_mark.join('\n')
}

export function useTemplates(form: Ref<Form | null>) {
  const message = useMessage()
  const templates = ref<TemplateChoice[]>([])
  api.templates().then(
    (all) => (templates.value = all),
    (e: unknown) => message.error(`无法读取红头模板：${errorText(e)}`),
  )
  const options = computed(() => templateOptions(templates.value, form.value?.template ?? ''))

  function choose(name: string) {
    if (form.value) applyTemplate(form.value, templates.value, name)
  }

  return { templates, options, choose }
}
