# bash completion for infercost (installed to share/bash-completion/completions/infercost).
_infercost() {
  local cur prev cmd
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  cmd=${COMP_WORDS[1]}
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "run scenario validate trace sweep search plot help --help --version" -- "$cur"))
    return
  fi
  case $prev in
    -s|--set|--vary)
      # section.key names from the key table, as `infercost scenario` prints them
      local keys
      keys=$(infercost scenario 2>/dev/null | awk '/^\[/{s=$1; gsub(/[][]/, "", s)} /^[a-z_0-9]+ =/{print s"."$1}')
      COMPREPLY=($(compgen -W "$keys" -- "$cur"))
      return ;;
    -o|--output)
      COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --format)
      case $cmd in
        search) COMPREPLY=($(compgen -W "text json" -- "$cur")) ;;
        plot) COMPREPLY=($(compgen -W "png svg both" -- "$cur")) ;;
        trace) COMPREPLY=($(compgen -W "auto azure burstgpt vidur generic" -- "$cur")) ;;
      esac
      return ;;
  esac
  local opts
  case $cmd in
    run) opts="-s --set -o --output --plot --print-scenario -q --quiet -h --help" ;;
    scenario) opts="-s --set -h --help" ;;
    validate) opts="--quick -o --threads --repeats --no-plot --published --kernels -h --help" ;;
    trace) opts="stats fit --format --time-column --prompt-column --output-column --time-unit --relative --no-header --skip-bad-rows -o -h --help" ;;
    sweep) opts="--vary -s --set --seeds --target --workers -o --output -q --quiet -h --help" ;;
    search) opts="--target --vary --nodes --allow-unstable -s --set --seeds --workers --top -o --output --format -q --quiet -h --help" ;;
    plot) opts="cost-vs-x pareto timeseries ledger validation published kernels -o --output --format --x --y --by --target --replicas -h --help" ;;
    help) opts="run scenario validate trace sweep search plot" ;;
  esac
  if [[ $cur == -* || $cmd == help || $cmd == plot || $cmd == trace ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _infercost infercost
