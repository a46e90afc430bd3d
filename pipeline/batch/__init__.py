"""Overnight batches: many programmes through the stage list, on this machine (in-process, the
default) or spread over several machines as Dramatiq tasks on Redis, and the morning summary.

Every piece of work runs in a child process (`pipeline.batch.child`) that walks `pipeline.run`'s
stages under the programme's lock, so one programme's crash, bad clip or failed render stops that
programme only, and a worker's heartbeat is never starved by the work itself.
"""
