-- Background token refresh finds the active connections whose access token
-- expires soonest.
CREATE INDEX connections_by_token_expiry ON connections (token_expiry, id) WHERE status = 'active';
