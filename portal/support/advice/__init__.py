# 個別相談会 (advice sessions): slots coordinators publish, bookings from consultation requests.
