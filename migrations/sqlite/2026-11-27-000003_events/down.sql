DROP TABLE event_tags;
DROP TABLE events;
