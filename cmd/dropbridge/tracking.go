package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/changes"
	"github.com/dropbridge/dropbridge/connect"
	"github.com/dropbridge/dropbridge/events"
)

// startTracking keeps every connection's mirror current and turns its
// changes into events: svc records dropbridge's own writes (origin "api")
// and connection events in store, and tells the tracking service when a
// connection comes or goes. With longPoll, each active connection has a
// long-poll watcher (for services that Dropbox's webhooks cannot reach);
// either way every connection is reconciled on a schedule. It returns the
// service, to hand Dropbox's webhook notifications to, and the function
// that stops it. A delivery worker sends the events to the webhook
// endpoints, woken after every sync.
func startTracking(ctx context.Context, store dropbridge.Store, svc *connect.Service, logger *slog.Logger, longPoll bool) (*changes.Service, func(), error) {
	deliverer, err := events.NewDeliverer(events.DelivererConfig{Store: store, Logger: logger})
	if err != nil {
		return nil, nil, fmt.Errorf("set up webhook delivery: %w", err)
	}
	svc.WriteLog = store
	svc.Events = store
	tracking, err := changes.New(changes.Config{Store: store, Connect: svc, Logger: logger, LongPoll: longPoll,
		OnSync: func(string, string, error) { deliverer.Notify() }})
	if err != nil {
		return nil, nil, fmt.Errorf("set up change tracking: %w", err)
	}
	svc.OnConnection = tracking.ConnectionChanged
	if err := deliverer.Start(ctx); err != nil {
		return nil, nil, fmt.Errorf("start webhook delivery: %w", err)
	}
	stopTracking := tracking.Start(ctx)
	return tracking, func() {
		stopTracking()
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		if err := deliverer.Stop(stopCtx); err != nil {
			logger.Warn("webhook deliveries did not stop in time", "error", err)
		}
	}, nil
}
