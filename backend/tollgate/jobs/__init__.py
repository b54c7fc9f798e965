"""Background jobs through rq when REDIS_URL is set: `tollgate scheduler` enqueues the periodic jobs,
`tollgate worker` runs them. Without Redis the same work runs in each server process (`alerts.worker`)."""
