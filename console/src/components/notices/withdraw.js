// Withdrawing a notice, from the township's 通知 and the village's 村务公告 alike: a confirmation that says what it
// does, then POST /notices/{id}/withdraw. Resolves true when it was withdrawn.
import { ElMessage, ElMessageBox } from 'element-plus'
import { api } from '../../api.js'

export async function withdrawNotice(row, noun) {
  try {
    await ElMessageBox.confirm(`撤回后，村民在小程序里就看不到“${row.title}”了，还没发出的推送也会取消。确定撤回吗？`, `撤回${noun}`, {
      confirmButtonText: '撤回',
      cancelButtonText: '不撤回',
      type: 'warning',
    })
  } catch {
    return false
  }
  try {
    await api.post(`/notices/${row.id}/withdraw`)
    ElMessage.success('已撤回')
    return true
  } catch (err) {
    ElMessage.error(err.message)
    return false
  }
}
