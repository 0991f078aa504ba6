// 账务 (issue 19, H5's part: orders 20–29): the reports of the books (科目余额表, 资产负债表, 收益及收益分配表) for a
// month, quarter or year, on screen and as .xlsx; and 财务公开 drafted from a closed period, sent to the supervision
// committee, published and printed. The supervisor's sign-off screen is 村务监督's (routes/supervision.js).
const BOOKS = ['accountant', 'secretary', 'township_accountant']
const READERS = [...BOOKS, 'committee', 'supervisor', 'township_staff']

export default [
  {
    path: '/books/reports',
    component: () => import('../views/reports/ReportsView.vue'),
    meta: { title: '报表', menu: '账务', order: 20, roles: READERS, description: '科目余额表、资产负债表、收益及收益分配表，按月、季、年查看和下载' },
  },
  {
    path: '/books/disclosures',
    component: () => import('../views/reports/DraftingView.vue'),
    meta: { title: '财务公开', menu: '账务', order: 21, roles: BOOKS, description: '按已结账的月份或季度编制财务公开，送监督委员会审核，公开并打印' },
  },
]
