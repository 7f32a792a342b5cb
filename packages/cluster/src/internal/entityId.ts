/**
 * The entity id of a child: its id when short enough for the cluster's storage (`VARCHAR(255)`:
 * a longer id fails with a bare "Query failed"), otherwise a SHA-256 of it. Pure and injective in
 * practice: an id that itself looks like a hash is hashed too.
 */
import { createHash } from "node:crypto"

export const maxEntityIdLength = 200

const hashed = "sha256:"

export const entityIdOf = (childId: string): string =>
  childId.length <= maxEntityIdLength && !childId.startsWith(hashed)
    ? childId
    : hashed + createHash("sha256").update(childId).digest("hex")
