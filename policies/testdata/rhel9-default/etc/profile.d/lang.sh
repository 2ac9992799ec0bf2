# /etc/profile.d/lang.sh - exports environment variables, taking /etc/locale.conf into account

sourced=0
if [ -n "$LANG" ]; then
    saved_lang="$LANG"
fi
