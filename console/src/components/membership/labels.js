// The words and colours of the membership screens (the API sends the Chinese labels; these pick the tag colour).
export const TABS = [
  { status: 'submitted', label: '待审查' },
  { status: 'referred', label: '待成员大会确认' },
  { status: 'confirmed', label: '已确认（公示、登记）' },
  { status: 'registered', label: '已登记' },
  { status: 'refused', label: '审查未通过' },
  { status: 'not_passed', label: '成员大会未通过' },
]

export const TAG = {
  submitted: 'warning',
  referred: 'primary',
  confirmed: 'success',
  registered: 'success',
  refused: 'danger',
  not_passed: 'danger',
  recorded: 'warning',
  publicity: 'primary',
  closed: 'info',
}

export const GROUNDS = [
  { value: 'residence', label: '户籍在本村' },
  { value: 'birth', label: '出生' },
  { value: 'marriage', label: '婚入' },
  { value: 'adoption', label: '收养' },
  { value: 'other', label: '其他' },
]

// "户口簿复印件，结婚证复印件" → ["户口簿复印件", "结婚证复印件"]
export function splitRefs(text) {
  return (text || '').split(/[，,；;\n]/).map((s) => s.trim()).filter(Boolean)
}

// today in the village (the API's business dates are Asia/Shanghai dates, whatever the browser's zone)
export function today() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date())
}
