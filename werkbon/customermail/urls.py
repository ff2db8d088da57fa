"""URLs of the customer e-mail (``/klantmail/``)."""

from django.urls import path

from werkbon.customermail import panels

app_name = "customermail"
urlpatterns = [
    path("werkorders/<int:pk>/opnieuw/", panels.send_again_view, name="send_again"),
]
