/**
 * The end of a synchronous stretch of work (a "turn"), told by one microtask.
 *
 * The recorder needs to know when the code running now gives the event loop back: a step whose
 * Effect or Promise is still running then really waits. One microtask per turn serves every
 * listener of the process (queued by the first one to ask), so a turn with many tracked
 * applications (a fan-out of tracked children) costs one microtask, not one each.
 */

/** Told when the current turn ends. */
export interface TurnListener {
  turnEnded(): void
}

let queued = false
const listeners: Array<TurnListener> = []

const end = () => {
  queued = false
  // A listener may ask again for the next turn while being told: those wait for the next microtask.
  const told = listeners.splice(0, listeners.length)
  for (let i = 0; i < told.length; i++) told[i]!.turnEnded()
}

/** Tells `listener` once, when the current turn ends. */
export const onEnd = (listener: TurnListener): void => {
  listeners.push(listener)
  if (!queued) {
    queued = true
    queueMicrotask(end)
  }
}
