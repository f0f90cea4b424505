/// [demo]
console.log('demo');
/// [demo]
