"""The setup page's only assets, inlined (nothing is fetched, not even from this server): a
style sheet and a few lines of plain JavaScript. The page works without the script: it only
hides the fields another provider or mechanism needs and fills the provider's server settings
as the provider changes (the "Use the provider's server settings" button does it without)."""

from __future__ import annotations

__all__ = ["SCRIPT", "STYLE"]

STYLE = """
:root{color-scheme:light dark;--ok:#1a7f37;--bad:#b42318;--line:#8886}
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;line-height:1.5;margin:0 auto;max-width:52rem;
padding:1rem 1.25rem 3rem}
header{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:baseline;gap:.5rem}
h1{font-size:1.5rem;margin:.25rem 0}
nav a{margin-left:.75rem}
fieldset{border:1px solid var(--line);border-radius:.5rem;margin:1rem 0;padding:.5rem 1rem 1rem}
legend{font-weight:600;padding:0 .25rem}
.row{margin:.6rem 0}
label{display:block;font-weight:500}
input[type=text],input[type=email],input[type=password],input[type=url],select{
width:100%;max-width:32rem;padding:.35rem .45rem;font:inherit}
input[type=checkbox]{margin-right:.4rem}
label.inline{display:inline;font-weight:400}
.help{font-size:.9rem;opacity:.8;margin:.15rem 0 0}
.err{color:var(--bad);font-weight:600;margin:.15rem 0 0}
[aria-invalid=true]{border:2px solid var(--bad)}
button{font:inherit;padding:.45rem 1rem;margin:.4rem .5rem 0 0;cursor:pointer}
button.primary{font-weight:600}
:focus-visible{outline:3px solid #2f6fde;outline-offset:2px}
.notice{border-left:4px solid var(--ok);padding:.4rem .75rem;margin:.6rem 0}
.notice.bad{border-color:var(--bad)}
pre{white-space:pre-wrap;word-break:break-all;background:#8881;padding:.5rem;max-height:24rem;
overflow:auto;font-size:.85rem}
code{font-size:.95em}
.hidden-default{position:absolute;left:-9999px;width:1px;height:1px;overflow:hidden}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(12rem,1fr));gap:0 1rem}
"""

# Reads the defaults from the provider <option>s' data-* attributes; never touches a secret.
SCRIPT = """
(function(){
  var form=document.getElementById('setup');
  if(!form){return;}
  var provider=form.elements['provider'], auth=form.elements['auth'];
  var touched={};
  ['server','port','tls','auth'].forEach(function(n){
    form.elements[n].addEventListener('input',function(){touched[n]=true;});
  });
  function show(){
    var p=provider.value, a=auth.value;
    document.querySelectorAll('[data-only]').forEach(function(el){
      var want=el.getAttribute('data-only').split(' ');
      el.hidden=want.indexOf(p)<0 && want.indexOf(a)<0;
    });
    var opt=provider.options[provider.selectedIndex];
    var shown=document.getElementById('redirect-uri');
    if(shown&&opt){shown.textContent=opt.getAttribute('data-redirect');}
  }
  provider.addEventListener('change',function(){
    var opt=provider.options[provider.selectedIndex];
    ['server','port','tls','auth'].forEach(function(n){
      var v=opt.getAttribute('data-'+n);
      if(v&&!touched[n]){form.elements[n].value=v;}
    });
    show();
  });
  auth.addEventListener('change',show);
  show();
})();
"""
