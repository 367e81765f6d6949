"""Support for people outside the ward office: the help centre and FAQ (with its assistant)
and consultation requests routed to a coordinator."""
