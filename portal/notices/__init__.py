"""What each person takes by mail, and the log of every mail the portal sent."""
