-- An ES agent's fulfillment (its webhook): one per project and location, as
-- the agent is. Kept whole, as the proto3 JSON of the Fulfillment without its
-- name, like profiles (migration 004), so every field Google defines is kept.
-- A project without a row has the default, empty fulfillment.
CREATE TABLE fulfillments (
  project  text  NOT NULL,
  location text  NOT NULL,
  body     jsonb NOT NULL,
  PRIMARY KEY (project, location)
);
