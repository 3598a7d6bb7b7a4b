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
// The check stays a check-then-append, as on a single node: a message that
// passed it just before the owner ended the task is stored after the end.
// The window is the time the task's event takes to reach this node — the
// same as a forwarded call's reply in flight — except when the bus drops
// an event without a reconnect (a NATS slow consumer), where the TTL bounds
// it.
//
// # Failure behaviour
//
//   - Owner killed: no routing decisions for up to about 4 s (2.2–3 s measured
//     by the multi-node test); calls wait, and chat messages wait too once
//     their task's view (at most TaskViewTTL old) has expired or the new owner
//     announced itself. Queued and connected tasks are
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
