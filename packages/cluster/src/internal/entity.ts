/**
 * The cluster entity that runs children: one entity per child id, with one persisted RPC, `Run`.
 * A message is saved in the cluster's storage before it is delivered, so a child whose runner dies
 * is delivered again to the runner that takes over its shard.
 *
 * The message's primary key names the sending process and the send: a `retry`, a parent that runs
 * the step again after a failure, or a restarted parent sends a new message instead of getting the
 * stored reply of an earlier attempt (which may be an interruption). Re-sending is safe because
 * one entity handles its messages one at a time and the runner runs each child with Teasel's
 * persistence: a child whose final state is saved is not run again.
 */
import { Schema } from "effect"
import { ClusterSchema, Entity } from "effect/cluster"
import { Rpc } from "effect/rpc"

export const Run = Rpc.make("Run", {
  payload: {
    /** The child's full id (the entity id may be a hash of it). */
    childId: Schema.String,
    /** `${process}/${send}`: unique per send. */
    key: Schema.String,
    branch: Schema.String,
    index: Schema.Number,
    parentId: Schema.String,
    parentSequenceId: Schema.Number,
    action: Schema.String,
    partitionKey: Schema.String,
    state: Schema.Unknown,
    inputs: Schema.Unknown
  },
  success: Schema.Unknown,
  error: Schema.Unknown,
  primaryKey: (payload) => payload.key
}).annotate(ClusterSchema.Persisted, true)

export const ChildEntity = Entity.make("TeaselChild", [Run])
