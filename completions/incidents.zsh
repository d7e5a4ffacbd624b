
#compdef incidents

_incidents_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _INCIDENTS_COMPLETE=complete_zsh incidents)
}

compdef _incidents_completion incidents

