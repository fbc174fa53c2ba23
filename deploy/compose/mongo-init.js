// Run by the mongo image once, when the data volume is first initialised (docker-compose.yml):
// the user Keywarden connects as, allowed to read, write and index its own database and nothing
// else. The root user stays for administration. A later change of MONGO_KEYWARDEN_PASSWORD does
// not reach an existing volume: change the password in mongosh (db.changeUserPassword) as well.
const username = process.env.KEYWARDEN_MONGO_USERNAME;
const password = process.env.KEYWARDEN_MONGO_PASSWORD;
if (!username || !password) throw new Error('KEYWARDEN_MONGO_USERNAME and KEYWARDEN_MONGO_PASSWORD must be set');
db.getSiblingDB('admin').createUser({
  user: username,
  pwd: password,
  roles: [{ role: 'readWrite', db: 'keywarden' }],
});
