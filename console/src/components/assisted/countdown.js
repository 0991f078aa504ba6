// A countdown from the server's "seconds left" (not the browser's clock, which may be off): left (seconds) and
// leftText ("29 分 58 秒"), ticking each second once started; stopped when the component goes.
import { computed, onUnmounted, ref } from 'vue'

export function leftWords(seconds) {
  const s = Math.max(0, Math.floor(seconds))
  const m = Math.floor(s / 60)
  return m > 0 ? `${m} 分 ${String(s % 60).padStart(2, '0')} 秒` : `${s} 秒`
}

export function useCountdown() {
  const left = ref(0)
  let timer = null
  function start(seconds) {
    clearInterval(timer)
    const until = Date.now() + seconds * 1000
    left.value = seconds
    timer = setInterval(() => {
      left.value = Math.max(0, Math.round((until - Date.now()) / 1000))
      if (left.value === 0) clearInterval(timer)
    }, 1000)
  }
  onUnmounted(() => clearInterval(timer))
  return { left, leftText: computed(() => leftWords(left.value)), start }
}
