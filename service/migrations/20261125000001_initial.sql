-- Governance data only: topics, indicators, uuids and times. No patient identifiers, no card text.
CREATE TABLE IF NOT EXISTS issued_cards (
    card_uuid TEXT PRIMARY KEY,
    service_id TEXT NOT NULL,
    hook TEXT NOT NULL,
    hook_instance TEXT NOT NULL,
    topic TEXT NOT NULL,
    indicator TEXT NOT NULL,
    issued_at_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS issued_cards_by_time ON issued_cards (issued_at_ms);

-- One row per (card, outcome, outcome time): the same feedback sent twice is stored once.
CREATE TABLE IF NOT EXISTS feedback (
    card_uuid TEXT NOT NULL,
    outcome TEXT NOT NULL,
    outcome_timestamp TEXT NOT NULL,
    service_id TEXT NOT NULL,
    accepted_suggestions TEXT NOT NULL,
    override_reason_system TEXT NOT NULL,
    override_reason_code TEXT NOT NULL,
    override_reason_display TEXT NOT NULL,
    has_comment BIGINT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    PRIMARY KEY (card_uuid, outcome, outcome_timestamp)
);
CREATE INDEX IF NOT EXISTS feedback_by_time ON feedback (received_at_ms);

-- Seen JWT ids, kept until the token expires, shared by every replica.
CREATE TABLE IF NOT EXISTS jwt_replay (
    issuer TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, jti)
);
CREATE INDEX IF NOT EXISTS jwt_replay_by_expiry ON jwt_replay (expires_at);
