// One .xlsx import as every import screen runs it (名册, 凭证, 地块与合同, 股权登记): choose a file → a dry run that
// lists every bad row (第 N 行 · 列 · 原因) and writes nothing → 确认导入, offered only for a clean file → all or nothing.
//   path()      the import's endpoint (a function: the village or the kind may change)
//   fields()    the form's other fields (dry_run is added for the check)
//   onImported  called with the import's report once it is done
// In the template: <input ref="fileInput" type="file" @change="chosen">, report (the dry run's or the import's),
// problem {message, rows: [{row, field, message}], more} when the file was refused, checking / importing.
import { ref } from 'vue'
import { ElMessage } from 'element-plus'
import { uploadXlsx } from './roster/roster.js'

// The API's refusal of a file as the screens show it: its bad rows (or, for a bad header, its problems as row 1),
// and how many more bad rows there are than it listed.
export function problemOf(err) {
  const rows = err.details?.rows || []
  const extra = err.details?.problems || []
  return {
    message: err.message,
    rows: rows.length ? rows : extra.map((m) => ({ row: 1, field: '表头', message: m })),
    more: Math.max(0, (err.details?.error_count || rows.length) - rows.length),
  }
}

export function useXlsxImport({ path, fields = () => ({}), onImported = () => {} }) {
  const fileInput = ref(null)
  const file = ref(null)
  const checking = ref(false)
  const importing = ref(false)
  const problem = ref(null)
  const report = ref(null)

  function clearInput() {
    if (fileInput.value) fileInput.value.value = ''
  }

  function reset() {
    file.value = null
    report.value = null
    problem.value = null
    clearInput()
  }

  async function chosen(event) {
    const f = event.target.files?.[0]
    if (!f) return
    reset()
    file.value = f
    checking.value = true
    try {
      report.value = await uploadXlsx(path(), f, { ...fields(), dry_run: 'true' })
    } catch (err) {
      problem.value = problemOf(err)
    } finally {
      checking.value = false
      clearInput()
    }
  }

  async function doImport() {
    importing.value = true
    try {
      report.value = await uploadXlsx(path(), file.value, fields())
      ElMessage.success('导入完成')
      onImported(report.value)
    } catch (err) {
      report.value = null
      problem.value = problemOf(err)
    } finally {
      importing.value = false
    }
  }

  return { fileInput, file, checking, importing, problem, report, reset, chosen, doImport }
}
