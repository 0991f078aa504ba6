// 账务 · the books: 我代管的村 (the villages whose books the person keeps: open month, drafts, overdue 财务公开; a click
// switches to the village), 凭证 (vouchers by month: draft → 记账 → 冲销, the chart as a searchable picker, the
// decision a large expense rests on), 凭证导入 (.xlsx: a dry run lists every bad row, then all or nothing), 月结
// (close the month). Kept by the village's accountant or secretary, or the township's agency accountant (代理记账).
// Orders 10–19 (reports and disclosure drafting use 20–29 of the same menu).
const KEEPERS = ['accountant', 'secretary', 'township_accountant']

export default [
  {
    path: '/books/villages',
    component: () => import('../views/books/KeptVillagesView.vue'),
    meta: {
      title: '我代管的村',
      menu: '账务',
      order: 10,
      roles: KEEPERS,
      description: '我记账的各村：哪个月还没结账、还有几张草稿、财务公开是否逾期；点村名就到这个村记账',
    },
  },
  {
    path: '/books/vouchers',
    component: () => import('../views/books/VouchersView.vue'),
    meta: {
      title: '凭证',
      menu: '账务',
      order: 11,
      roles: KEEPERS,
      description: '按月查看凭证，新建、修改草稿，记账，冲销记错的凭证',
    },
  },
  {
    path: '/books/import',
    component: () => import('../views/books/ImportView.vue'),
    meta: {
      title: '凭证导入',
      menu: '账务',
      order: 12,
      roles: KEEPERS,
      description: '用 Excel 一次导入很多张凭证：先检查，每一行都对了才导入',
    },
  },
  {
    path: '/books/months',
    component: () => import('../views/books/MonthsView.vue'),
    meta: {
      title: '月结',
      menu: '账务',
      order: 13,
      roles: KEEPERS,
      description: '每月记完账后结账：结账后这个月不能再记账',
    },
  },
]
