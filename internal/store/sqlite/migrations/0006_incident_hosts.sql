-- Vigil schema, version 6: host alerts in incidents. An alert about a host
-- itself rather than an event on it (an agent lost or uninstalled, joined
-- with store.Join.SameHost) is a host alert; incident_host_alerts holds,
-- for each incident and host, the latest sighting of that host's host
-- alerts in the incident, so that an alert of the host that shares no
-- entity with an incident still joins one holding a host alert seen
-- within the incident window.

CREATE TABLE incident_host_alerts (
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    agent_id    TEXT NOT NULL,
    last_seen   INTEGER NOT NULL,
    PRIMARY KEY (incident_id, agent_id)
);
-- Attach looks a host's recent host alerts up.
CREATE INDEX incident_host_alerts_agent ON incident_host_alerts (agent_id, last_seen, incident_id);
