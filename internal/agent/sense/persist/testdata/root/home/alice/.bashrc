# ~/.bashrc
HISTSIZE=1000
alias ll="ls -l"
