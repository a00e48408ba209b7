from django.urls import path

from articles import views

app_name = "articles"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:year>/<int:month>/<int:day>/<slug:slug>/", views.detail, name="detail"),
    path("section/<slug:slug>/", views.section, name="section"),
    path("tag/<slug:slug>/", views.tag, name="tag"),
    path("author/<slug:slug>/", views.author, name="author"),
]
