"""What a run did to its depots: KPIs by SQL, a table for people and a chart of the day."""
