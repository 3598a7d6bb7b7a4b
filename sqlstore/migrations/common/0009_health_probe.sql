-- Readiness writes this one row to learn whether the store can write.
CREATE TABLE health_probe (id INTEGER PRIMARY KEY, at BIGINT NOT NULL);
INSERT INTO health_probe (id, at) VALUES (1, 0);
