/** The smallest pipeline file the schema accepts: tests change one line of it at a time. */
export const minimal = `name: demo
service: demo
displayName: Demo
input: pino-http
location:
  hosts: ['^(?<location>[a-z]+-[a-z]+)\\.demo\\.example$']
  default: us-south
targets:
  thing: { typeURI: demo/things, resourceType: thing, idParam: id }
routes:
  - target: thing
    routes:
      GET /things/:id: demo.things.read
catchAll: {}
ignore: {}
dataEvents: []
severity: { default: normal, actions: {}, status: {} }
aliases: {}
requestData: {}
responseData: {}
`;
