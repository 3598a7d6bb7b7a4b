-- Ratings (CSAT): a switch per service or user, on by default (also for
-- those that existed before), and one rating per task — 1 to 5 stars
-- (0: not rated), a comment and when it was given.
ALTER TABLE interact_settings ADD COLUMN ratings BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE tasks ADD COLUMN rating_stars INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN rating_comment TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN rated_at BIGINT NOT NULL DEFAULT 0;
