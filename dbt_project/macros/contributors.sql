{#-
    Author identity and bot detection, shared by every model that names a person.

    Identity: the GitHub login (lower-cased) when GitHub linked the commit to an account; otherwise the
    login encoded in a GitHub noreply address (`12345+alice@users.noreply.github.com` -> alice); otherwise
    the lower-cased e-mail address prefixed with `email:`; otherwise the lower-cased name prefixed with
    `name:`. Prefixes keep a login and an address from ever colliding.
-#}
{% macro contributor_id(login, email, name='null') -%}
    coalesce(
        lower(nullif(trim({{ login }}), '')),
        lower(regexp_extract(trim({{ email }}), '^(?:[0-9]+\+)?([^@+]+)@users\.noreply\.github\.com$', 1)),
        'email:' || lower(nullif(trim({{ email }}), '')),
        'name:' || lower(nullif(trim({{ name }}), ''))
    )
{%- endmacro %}

{#- the configured extra bot logins (var bot_logins, comma-separated; from OSSPULSE_BOT_LOGINS), lower-cased -#}
{% macro bot_login_list() -%}
    {%- set configured = var('bot_logins', env_var('OSSPULSE_BOT_LOGINS', '')) -%}
    {%- if configured is string -%}
        {%- set configured = configured.split(',') -%}
    {%- endif -%}
    {%- set logins = [] -%}
    {%- for login in configured -%}
        {%- if login | trim -%}
            {%- do logins.append(login | trim | lower) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(logins) }}
{%- endmacro %}

{#-
    A bot: GitHub says the account is a Bot, or the login ends in `[bot]` (GitHub Apps such as
    dependabot[bot]), or the login is in the configured list. Takes a contributor_id or a login.
-#}
{% macro is_bot(login, user_type='null') -%}
    {%- set extra = bot_login_list() -%}
    coalesce(
        lower({{ user_type }}) = 'bot'
        or lower({{ login }}) like '%[bot]'
        {%- if extra %}
        or lower({{ login }}) in (
            {%- for login_name in extra -%}
                '{{ login_name | replace("'", "''") }}'{{ ', ' if not loop.last }}
            {%- endfor -%}
        )
        {%- endif %},
        false
    )
{%- endmacro %}
