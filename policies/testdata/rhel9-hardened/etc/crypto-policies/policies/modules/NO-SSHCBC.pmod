cipher@SSH = -*-CBC
