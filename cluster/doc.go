// Package cluster runs interact on several nodes: it decides which node is
// the routing owner and makes every node's routing calls reach it.
//
// # Design
//
// The routing engine (package routing) keeps its working state — queues,
// ringing offers, timers — in memory, so exactly one node may run it at a
// time: the routing owner. Ownership is a lease in the store (the database
// every node shares):
//
//   - Every node tries to take or renew the lease every Renew (1 s) for LeaseTTL (3 s).
//   - The node holding it is the owner. On gaining it, the node announces
//     itself on the bus, builds a fresh engine and rebuilds it from the store
//     (routing.Engine.Recover), then starts answering routing calls.
//   - The owner counts its lease as valid until the moment it started the
//     last successful renewal plus LeaseTTL, minus a safety margin; the
//     database's own expiry is never earlier than that. If it cannot renew by
//     then (database or network trouble, a lost lease), it stops its engine
//     and stops answering at once, before any other node can take over.
//   - After an owner dies (SIGKILL, power), its lease runs out after at most
//     LeaseTTL and the next node that tries takes it: take-over within
//     LeaseTTL + Renew (about 4 s) plus the time Recover takes. A node that
//     shuts down cleanly releases the lease, so another takes over within
//     Renew.
//
// Every node serves HTTP and WebSockets. A node's Router implements the
// calls web makes on the engine: on the owner they run locally; elsewhere
// they are forwarded to the owner over NATS request/reply (JSON) on one
// subject that only the owner answers. While there is no owner (during a
// take-over) a call waits and retries, up to CallTimeout (10 s); errors keep
// their interact error code, so clients get the same refusals as on a single
// node. Each attempt is bounded (3 s) and resent with the same request id;
// the owner remembers the answers of calls that must not run twice (start,
// accept, transfer, …) for a minute, so a lost request or reply costs a
// retry, never a second task. A call whose owner died before answering
// fails with "internal" after CallTimeout, as on a single node that crashed.
//
// The engine counts agent and visitor connections. Each node keeps a list of
// its own connections, each with an id, and the owner keeps per node the
// connections it was told about. When ownership changes, every node sends
// its whole list (and the last presence of each of its agents) to the new
// owner, which connects them to its fresh engine; announcements are
// idempotent by connection id, so a connection is never counted twice. The
// engine's start-up grace holds back "no agent" overflow meanwhile. Nodes
// send a heartbeat to the owner every Renew; the owner drops the connections
// of a node it has not heard from for NodeTimeout (5 s), so a dead node's
// agents and visitors go through the engine's usual reconnect graces, and a
// node that the owner dropped (say, after a network split) sends its list
// again when its heartbeat is answered "unknown".
//
// Events need no forwarding: the engine publishes them on the bus, and with
// NATS every node's realtime hub receives them.
//
// # Task views on other nodes
//
// Web checks a message's task (Router.Task) on every visitor and agent
// message; forwarded, that is a NATS round trip per message. A node that
// is not the owner keeps the owner's answer for TaskViewTTL (1 s) and
// answers from it. Every node sees every task.* and agent.* event, and an
// answer is dropped as soon as anything may have changed it: a frame on
// the task's subject other than message, typing and read (task.state on
// accept, transfer and end; task.queue), a task.assigned, task.released or
// task.ended naming it on an agent's subject, a routing call this node made
// that changes state (dropped when the call returns, so this node's own
// change shows at once), a new owner's announcement, or a reconnect of the
// bus (events may have been lost; while disconnected no answer is used).
// An answer is stored only if nothing dropped its task since the call
// began, so an answer overtaken by its task's event is never kept.
//
// Besides, every node that is not the owner keeps the last view of each
// open task it was answered about (at most 65,536, each for at most 30 min
// after its last answer), dropped by the same events of the task except
// task.queue, by this node's own changes of the task and by an answer that
// the task is not open — but not by a new owner: the new owner rebuilds
// the same open tasks, with the same agents, from the store, and what
// changes in a task afterwards comes as the task's events. When no owner
// can answer — none answered the node's last attempt, or a new owner
// announced itself and is still rebuilding, the node taking over included
// — the check of a task last seen open (waiting or connected) is answered
// from its last view, without a call; when an owner may answer, such a
// check makes one attempt (bounded by Renew) and falls back to the last
// view if no owner answered. So chat messages do not wait for a take-over.
// A task the node never saw open waits for the owner, as other calls do.
// Last views are not used after a reconnect of the bus, nor on the owner.
//
// The check stays a check-then-append, as on a single node, but a task's
// end is final: the store refuses a visitor's or agent's message to a task
// it has as ended, in the transaction that holds the task's row (the
// system's messages, such as the one of the end, still go in). A message
// that passed the check just before the owner ended the task is refused,
// whatever view let it through. What a late view can still let through is
// a message of the agent a task was just transferred away from: for the
// time the transfer's events take to reach the node — the same as a
// forwarded call's reply in flight — except when the bus drops an event
// without a reconnect (a NATS slow consumer), where TaskViewTTL bounds it
// (each answer of the owner replaces the last view too), or when the owner
// died after committing the transfer and before publishing it, where the
// take-over bounds it (the new owner's first answer replaces the view).
//
// # Failure behaviour
//
//   - Owner killed: no routing decisions for up to about 4 s (2.2–3 s measured
//     by the multi-node test); calls wait, while the chat messages of open
//     tasks keep flowing (their checks answer from the last views of the
//     tasks each node has seen).
//     Queued and connected tasks are
//     rebuilt from the store; offers that were ringing end as cancelled and
//     are made again. Nothing acknowledged is lost.
//   - Database unreachable: the owner steps down within LeaseTTL; no node can
//     become owner until it is back.
//   - NATS unreachable: nodes cannot reach the owner and calls fail after
//     CallTimeout; the bus reconnects forever and buffers events meanwhile.
//     A task that cannot be looked up counts as not open to web (a visitor
//     socket opened then is told its task ended), so such outages must stay
//     shorter than CallTimeout. After 5 s the owner drops the connections of
//     nodes it cannot hear; they are sent again once the nodes are heard.
//   - A paused owner (stopped process, long GC) that resumes after its lease
//     ran out stops as soon as its watchdog runs. Its engine's writes (task
//     creation, routing state, outcomes) carry its lease token
//     (interact.WithFence): the store checks it in the write's transaction,
//     holding the lease row, so once another node took the lease they fail
//     and the node steps down at once. Not fenced: system messages, which go
//     through the store's batched message writer.
//
// Single-node mode (no NATS) does not use this package: the one engine
// serves directly.
package cluster
