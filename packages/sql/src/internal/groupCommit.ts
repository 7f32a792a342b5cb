/**
 * Group commit: writes requested by fibers that run in the same turn of the event loop are handed
 * together to one `write` (one transaction), which returns an outcome for each.
 *
 * The first request of a batch (its leader) waits one microtask, so that the fibers running beside
 * it (the children of a fan-out) can join, then writes the batch; the others wait. Every caller
 * resumes only once the write of its batch has completed, with its own outcome: a step reported
 * saved is committed, and one caller's conflict is not another's.
 */
import { Cause, Effect, Exit } from "effect"

interface Entry<I, A, E> {
  readonly item: I
  exit: Exit.Exit<A, E> | undefined
  resume: ((exit: Exit.Exit<A, E>) => void) | undefined
}

/** Lets the fibers already scheduled run before the leader goes on. */
const nextMicrotask: Effect.Effect<void> = Effect.callback<void>((resume) => {
  queueMicrotask(() => resume(Effect.void))
})

/**
 * A function that requests `write` of one item and waits for its outcome. `write` receives the
 * items of a batch in request order and must return one outcome per item, in the same order.
 */
export const make = <I, A, E>(
  write: (items: ReadonlyArray<I>) => Effect.Effect<ReadonlyArray<Exit.Exit<A, E>>>,
  /**
   * The outcome of a follower whose leader was interrupted while `write` waited interruptibly
   * (for a lock: nothing was written). By default the leader's interruption itself.
   */
  abandoned?: (item: I) => Exit.Exit<A, E>
): (item: I) => Effect.Effect<A, E> => {
  let open: Array<Entry<I, A, E>> | undefined

  const settle = (batch: ReadonlyArray<Entry<I, A, E>>, outcome: Exit.Exit<ReadonlyArray<Exit.Exit<A, E>>>) => {
    for (let i = 0; i < batch.length; i++) {
      const entry = batch[i]!
      // A write that failed as a whole (a defect) fails every caller with its cause; one whose
      // leader was interrupted while it waited fails the others as `abandoned` says.
      const exit: Exit.Exit<A, E> = Exit.isSuccess(outcome)
        ? outcome.value[i]!
        : i > 0 && abandoned !== undefined && Cause.hasInterruptsOnly(outcome.cause)
        ? abandoned(entry.item)
        : Exit.failCause(outcome.cause)
      entry.exit = exit
      const resume = entry.resume
      entry.resume = undefined
      resume?.(exit)
    }
    return batch[0]!.exit!
  }

  const lead = (batch: Array<Entry<I, A, E>>): Effect.Effect<A, E> =>
    // Uninterruptible: the callers waiting on this batch are resumed by its leader alone. Only
    // a wait inside `write` that wrote nothing (a busy database) may be interrupted.
    Effect.uninterruptible(
      Effect.flatMap(nextMicrotask, () => {
        open = undefined
        return Effect.flatMap(Effect.exit(write(batch.map((entry) => entry.item))), (outcome) => settle(batch, outcome))
      })
    )

  const follow = (entry: Entry<I, A, E>): Effect.Effect<A, E> =>
    Effect.callback<A, E>((resume) => {
      if (entry.exit !== undefined) resume(entry.exit)
      else entry.resume = resume
    })

  return (item) =>
    Effect.suspend(() => {
      const entry: Entry<I, A, E> = { item, exit: undefined, resume: undefined }
      if (open !== undefined) {
        open.push(entry)
        return follow(entry)
      }
      const batch = [entry]
      open = batch
      return lead(batch)
    })
}
