// FTQKit: placeholder until its issue lands.
