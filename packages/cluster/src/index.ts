/**
 * Teasel on a cluster: parallel children run on runner processes, on Effect's cluster engine with
 * PostgreSQL storage.
 *
 * @since 0.1.0
 */

/**
 * The registry of branches by name, shared by the parent and the runners.
 *
 * @since 0.1.0
 */
export * as Branches from "./Branches.js"

/**
 * The parent side: a `Parallel.CurrentExecutor` that sends children to runners.
 *
 * @since 0.1.0
 */
export * as ClusterExecutor from "./ClusterExecutor.js"

/**
 * The runner side: a process that runs children, durably.
 *
 * @since 0.1.0
 */
export * as Runner from "./Runner.js"

/**
 * The cluster settings, and why.
 *
 * @since 0.1.0
 */
export * as Settings from "./Settings.js"
