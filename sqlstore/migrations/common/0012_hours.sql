-- Opening hours. Holiday calendars are OU-scoped like domain templates; a
-- service's hours are one row (none: always open) and the calendars it
-- selects, in order. A selected calendar cannot be deleted; deleting the
-- service deletes its hours and selection.
CREATE TABLE holiday_calendars (
	id TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	ou_id TEXT NOT NULL REFERENCES ous(id),
	name TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	holidays TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX holiday_calendars_name ON holiday_calendars(tenant_id, name);

-- weekly is the week's periods as JSON (hours.Week); NULL: around the clock.
CREATE TABLE service_hours (
	service_id TEXT PRIMARY KEY REFERENCES services(id) ON DELETE CASCADE,
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	time_zone TEXT NOT NULL DEFAULT '',
	weekly TEXT,
	closed_now BOOLEAN NOT NULL DEFAULT FALSE,
	updated_at BIGINT NOT NULL
);

CREATE TABLE selected_holiday_calendars (
	service_id TEXT NOT NULL REFERENCES service_hours(service_id) ON DELETE CASCADE,
	calendar_id TEXT NOT NULL REFERENCES holiday_calendars(id) ON DELETE RESTRICT,
	position INTEGER NOT NULL,
	PRIMARY KEY (service_id, calendar_id)
);
CREATE INDEX selected_holiday_calendars_calendar ON selected_holiday_calendars(calendar_id);
