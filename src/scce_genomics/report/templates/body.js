(function(){
function val(td){var v=td.getAttribute('data-v');return v===null?td.textContent:v;}
function sortBy(th){var table=th.closest('table'),body=table.tBodies[0],
 idx=Array.prototype.indexOf.call(th.parentNode.children,th),asc=!th.classList.contains('asc');
 Array.prototype.forEach.call(th.parentNode.children,function(h){h.classList.remove('asc','desc');});
 th.classList.add(asc?'asc':'desc');
 var rows=Array.prototype.slice.call(body.rows);
 rows.sort(function(a,b){var x=val(a.cells[idx]),y=val(b.cells[idx]),
  nx=parseFloat(x),ny=parseFloat(y),c;
  if(!isNaN(nx)&&!isNaN(ny)&&String(nx)===x.trim()&&String(ny)===y.trim()){c=nx-ny;}
  else{c=x.localeCompare(y,undefined,{numeric:true});}
  return asc?c:-c;});
 rows.forEach(function(r){body.appendChild(r);});}
document.querySelectorAll('table.data th').forEach(function(th){
 th.addEventListener('click',function(){sortBy(th);});});
document.querySelectorAll('input.filter').forEach(function(inp){
 inp.addEventListener('input',function(){var q=inp.value.toLowerCase(),
  t=document.getElementById(inp.getAttribute('data-table'));
  Array.prototype.forEach.call(t.tBodies[0].rows,function(r){
   r.style.display=r.textContent.toLowerCase().indexOf(q)>=0?'':'none';});});});
window.addEventListener('load',function(){
 var imgs=document.images,broken=[];
 for(var i=0;i<imgs.length;i++){if(!imgs[i].complete||imgs[i].naturalWidth===0){
  broken.push(imgs[i].getAttribute('alt')||('image '+i));}}
 var s=document.getElementById('report-selfcheck');
 s.setAttribute('data-images',String(imgs.length));
 s.setAttribute('data-broken',String(broken.length));
 s.setAttribute('data-errors',String(window.__reportErrors.length));
 s.textContent=JSON.stringify({broken:broken,errors:window.__reportErrors});
 s.setAttribute('data-state','done');});
})();
