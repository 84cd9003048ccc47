window.__reportErrors=[];
window.addEventListener('error',function(e){var t=e.target||{};
 window.__reportErrors.push(e.message?String(e.message):
  'resource failed: '+(t.src||t.href||t.tagName));
},true);
(function(){var ce=console.error;console.error=function(){
 window.__reportErrors.push(Array.prototype.map.call(arguments,String).join(' '));
 return ce.apply(console,arguments);};})();
