// The container's healthcheck (see Dockerfile): healthy while Node-RED answers HTTP on $PORT.
// A login page or a 401 still means the server is up; only no answer or a 5xx is unhealthy.
const port = Number(process.env.PORT) || 1880;
fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(4000) }).then(
  (res) => process.exit(res.status < 500 ? 0 : 1),
  () => process.exit(1),
);
