# ~/.bashrc
HISTSIZE=1000
alias ll="ls -l"
export PROMPT_COMMAND="history -a; logger -t h \"$(history 1)\""
