# ~/.bashrc from skel
HISTSIZE=1000
