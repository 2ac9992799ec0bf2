# ~/.profile
if [ -f ~/.bashrc ]; then . ~/.bashrc; fi
