// The words of 四议两公开 as a secretary reads them (the API's codes → Chinese), and the law's note of each body.
export const CATEGORIES = {
  project: '集体经济项目、公益事业建设',
  spending: '大额资金使用',
  land_contract: '土地承包、租赁、流转',
  asset_disposal: '集体资产购置、处置',
  dibao: '低保等对象评定',
  other: '其他',
}
// categories whose 决议 the law gives to the 成员大会 by default
export const DEFAULT_BODY = { land_contract: 'members_assembly', asset_disposal: 'members_assembly' }

export const ORIGINS = ['村干部提议', '党员群众建议', '上级党委政府安排']

export const RESOLUTION_BODIES = {
  representatives_meeting: {
    label: '村民代表会议',
    note: '村民委员会成员和村民代表三分之二以上到会，到会人员过半数同意（村民委员会组织法第二十六条）。',
  },
  villagers_meeting: {
    label: '村民会议',
    note: '本村十八周岁以上村民过半数，或本村三分之二以上的户的代表到会；到会人员过半数同意（村民委员会组织法第二十二条）。',
  },
  members_assembly: {
    label: '成员大会',
    note: '三分之二以上成员到会，全体成员三分之二以上同意（农村集体经济组织法第二十七条）。土地承包、集体资产处置等事项由成员大会决定。',
  },
}

export const BODY_LABELS = {
  party_meeting: '党员大会',
  two_committees: '两委会议',
  representatives_meeting: '村民代表会议',
  villagers_meeting: '村民会议',
  villagers_group_meeting: '村民小组会议',
  members_assembly: '成员大会',
  members_rep_assembly: '成员代表大会',
  board: '理事会',
}

export const DECISION_STATUS = {
  in_progress: { text: '进行中', type: 'primary' },
  resolved: { text: '已决议', type: 'success' },
  done: { text: '已完成', type: 'success' },
  failed: { text: '未通过/已终止', type: 'danger' },
}

export function stageStatus(stage) {
  if (stage.status === 'passed') return { text: stage.kind === 'meeting' ? '已通过' : '已完成', type: 'success' }
  if (stage.status === 'failed') return { text: '未通过', type: 'danger' }
  if (stage.status === 'open') return { text: '公示中', type: 'warning' }
  return { text: '未开始', type: 'info' }
}

export const VOTE_STATE = { scheduled: '未开始', open: '投票中', closed: '已结束' }

export function todayText() {
  const d = new Date()
  const p = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}
