/**
 * 红头模板: the unit's header templates. Choosing one writes its 发文机关标志 lines into the
 * form; the preview then sets them the template's way.
 */
import { computed, ref, type Ref } from 'vue'
import { useMessage } from 'naive-ui'
import { api, errorText, type TemplateChoice } from '../api'
import type { Form } from '../editing'

/** The choices of the 红头模板 select: none first, then each template. */
export function templateOptions(templates: TemplateChoice[]): Array<{ value: string; label: string }> {
  return [{ value: '', label: '不用模板（按发文机关标志排版）' }, ...templates.map((t) => ({ value: t.name, label: t.label }))]
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
  const options = computed(() => templateOptions(templates.value))

  function choose(name: string) {
    if (form.value) applyTemplate(form.value, templates.value, name)
  }

  return { templates, options, choose }
}
